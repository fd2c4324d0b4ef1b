;; Hostile sample: asks the host to read files outside its grant, through `../` and
;; through an absolute path. The sandbox denies both and records them in the audit trail;
;; the plugin passes the host's error on as its result.
(module
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_return_buffer_read" (func $rb_read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "fs.readFile")                       ;; 11 bytes
  (data (i32.const 16) "{\"path\":\"../../etc/passwd\"}")  ;; 27 bytes
  (data (i32.const 64) "{\"path\":\"/etc/passwd\"}")       ;; 22 bytes
  (data (i32.const 1024) "{\"success\":false,\"error\":")  ;; 25 bytes
  ;; Calls a host function; outputs its result, or {"success": false, "error": <error>}.
  (func $call (param $name i32) (param $name_len i32) (param $args i32) (param $args_len i32)
    (local $n i32)
    (local.set $n (call $host_call (local.get $name) (local.get $name_len)
                                   (local.get $args) (local.get $args_len)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (local.set $n (call $rb_read (i32.const 4096) (i32.const 60000)))
        (call $output (i32.const 4096) (local.get $n))
        (return)))
    (local.set $n (call $rb_read (i32.const 1049) (i32.const 2048)))
    (i32.store8 (i32.add (i32.const 1049) (local.get $n)) (i32.const 125)) ;; '}'
    (call $output (i32.const 1024) (i32.add (local.get $n) (i32.const 26))))
  (func (export "parent")
    (call $call (i32.const 0) (i32.const 11) (i32.const 16) (i32.const 27)))
  (func (export "absolute")
    (call $call (i32.const 0) (i32.const 11) (i32.const 64) (i32.const 22))))
