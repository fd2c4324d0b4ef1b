;; Test guest exercising every import of docs/abi.md and a few WASI calls.
;; Actions read their input with ft_input and answer with ft_output / ft_error.
(module
  (import "env" "ft_log" (func $log (param i32 i32 i32)))
  (import "env" "ft_get_env" (func $get_env (param i32 i32) (result i32)))
  (import "env" "ft_return_buffer_read" (func $rb_read (param i32 i32) (result i32)))
  (import "env" "ft_return_buffer_len" (func $rb_len (result i32)))
  (import "env" "ft_input" (func $input (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_error" (func $error (param i32 i32)))
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_now_ms" (func $now_ms (result i64)))
  (import "env" "ft_sleep_ms" (func $sleep_ms (param i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $count (mut i32) (i32.const 0))

  (data (i32.const 0) "hello from wat")   ;; 14
  (data (i32.const 16) "fs.readFile")     ;; 11
  (data (i32.const 32) "net.fetch")       ;; 9
  (data (i32.const 48) "app.double")      ;; 10
  (data (i32.const 64) "boom")            ;; 4
  (data (i32.const 80) "null")            ;; 4
  (data (i32.const 96) "hello stdout\n")  ;; 13
  (data (i32.const 128) "{\"success\":false,\"error\":") ;; 25

  ;; Scratch: 200.. WASI results, 8192.. input, 32768.. output.

  ;; Writes the decimal digits of a non-negative $v at $dst; returns their count.
  (func $itoa (param $v i64) (param $dst i32) (result i32)
    (local $len i32) (local $t i64) (local $i i32)
    (local.set $t (local.get $v))
    (loop $count_digits
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
      (br_if $count_digits (i64.ne (local.get $t) (i64.const 0))))
    (local.set $i (local.get $len))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $write (i32.gt_s (local.get $i) (i32.const 0))))
    (local.get $len))

  ;; Outputs a signed number.
  (func $output_num (param $v i64)
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then
        (i32.store8 (i32.const 32768) (i32.const 45)) ;; '-'
        (call $output (i32.const 32768)
          (i32.add (i32.const 1)
            (call $itoa (i64.sub (i64.const 0) (local.get $v)) (i32.const 32769)))))
      (else
        (call $output (i32.const 32768) (call $itoa (local.get $v) (i32.const 32768))))))

  ;; Outputs the return buffer's first $n bytes as a JSON string (no escaping).
  (func $output_string (param $n i32)
    (local.set $n (call $rb_read (i32.const 32769) (local.get $n)))
    (call $output_quoted (local.get $n)))

  (func $output_quoted (param $n i32)
    (i32.store8 (i32.const 32768) (i32.const 34))
    (i32.store8 (i32.add (i32.const 32769) (local.get $n)) (i32.const 34))
    (call $output (i32.const 32768) (i32.add (local.get $n) (i32.const 2))))

  ;; Copies the call's input to 8192; returns its length.
  (func $read_input (result i32)
    (call $rb_read (i32.const 8192) (call $input)))

  ;; Calls host function $name with the call's input as arguments; outputs the result,
  ;; or {"success": false, "error": <the host's error>}.
  (func $pass (param $name i32) (param $name_len i32)
    (local $n i32)
    (local.set $n (call $read_input))
    (local.set $n (call $host_call (local.get $name) (local.get $name_len)
                                   (i32.const 8192) (local.get $n)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (local.set $n (call $rb_read (i32.const 32768) (local.get $n)))
        (call $output (i32.const 32768) (local.get $n))
        (return)))
    (memory.copy (i32.const 32768) (i32.const 128) (i32.const 25))
    (local.set $n (call $rb_read (i32.const 32793) (i32.const 16384)))
    (i32.store8 (i32.add (i32.const 32793) (local.get $n)) (i32.const 125))
    (call $output (i32.const 32768) (i32.add (local.get $n) (i32.const 26))))

  (func (export "echo")
    (call $output (i32.const 8192) (call $read_input)))

  (func (export "log")
    (call $log (i32.const 2) (i32.const 0) (i32.const 14)))

  ;; Input: a JSON string naming a variable. Output: its value as a string, or null.
  (func (export "env")
    (local $n i32)
    (local.set $n (call $read_input))
    (local.set $n (call $get_env (i32.const 8193) (i32.sub (local.get $n) (i32.const 2))))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (call $output (i32.const 80) (i32.const 4)) (return)))
    (call $output_string (local.get $n)))

  (func (export "read") (call $pass (i32.const 16) (i32.const 11)))
  (func (export "fetch") (call $pass (i32.const 32) (i32.const 9)))
  (func (export "hostfn") (call $pass (i32.const 48) (i32.const 10)))

  ;; Outputs text that is not JSON.
  (func (export "garbage") (call $output (i32.const 0) (i32.const 14)))

  (func (export "fail") (call $error (i32.const 64) (i32.const 4)))
  (func (export "trap") unreachable)
  (func (export "oob") (call $output (i32.const 0xFFFF0000) (i32.const 16)))

  (func (export "now") (call $output_num (call $now_ms)))
  (func (export "sleep_short") (call $output_num (i64.extend_i32_s (call $sleep_ms (i64.const 1)))))
  (func (export "sleep_long") (call $output_num (i64.extend_i32_s (call $sleep_ms (i64.const 3600000)))))

  ;; The length ft_return_buffer_len reports after ft_input.
  (func (export "input_len")
    (drop (call $input))
    (call $output_num (i64.extend_i32_s (call $rb_len))))

  ;; A counter kept in the instance: shows state persists, and resets after a fault.
  (func (export "count")
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $output_num (i64.extend_i32_s (global.get $count))))

  (func (export "stdout")
    (i32.store (i32.const 200) (i32.const 96))
    (i32.store (i32.const 204) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208))))

  ;; The name of preopened directory fd 3 as a string, or the errno as a number.
  (func (export "prestat")
    (local $e i32) (local $len i32)
    (local.set $e (call $fd_prestat_get (i32.const 3) (i32.const 200)))
    (if (i32.ne (local.get $e) (i32.const 0))
      (then (call $output_num (i64.extend_i32_u (local.get $e))) (return)))
    (local.set $len (i32.load (i32.const 204)))
    (drop (call $fd_prestat_dir_name (i32.const 3) (i32.const 32769) (local.get $len)))
    (call $output_quoted (local.get $len)))

  ;; Input: a path (JSON string) relative to preopen fd 3. Output: the file's text as a
  ;; string, or the errno of path_open as a number.
  (func (export "open")
    (local $n i32) (local $e i32)
    (local.set $n (call $read_input))
    (local.set $e (call $path_open (i32.const 3) (i32.const 0)
      (i32.const 8193) (i32.sub (local.get $n) (i32.const 2))
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 200)))
    (if (i32.ne (local.get $e) (i32.const 0))
      (then (call $output_num (i64.extend_i32_u (local.get $e))) (return)))
    (i32.store (i32.const 208) (i32.const 32769))
    (i32.store (i32.const 212) (i32.const 16000))
    (local.set $e (call $fd_read (i32.load (i32.const 200)) (i32.const 208) (i32.const 1) (i32.const 216)))
    (if (i32.ne (local.get $e) (i32.const 0))
      (then (call $output_num (i64.extend_i32_u (local.get $e))) (return)))
    (call $output_quoted (i32.load (i32.const 216))))

  ;; Hook handler: answers with the event's payload.
  (func (export "on_reload")
    (call $output (i32.const 8192) (call $read_input))))
