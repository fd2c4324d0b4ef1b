(module
  ;; Action `read`: answers "NAME: TEXT", NAME the guest name of the first preopened
  ;; directory (fd 3) and TEXT the file `x` in it, both read through WASI.
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "x")
  (data (i32.const 16) "no preopened directory with a file x")
  (func (export "read")
    (local $name_len i32) (local $at i32)
    ;; prestat of fd 3 at 64: tag, then the name's length at 68
    (if (call $prestat_get (i32.const 3) (i32.const 64))
      (then (call $error (i32.const 16) (i32.const 36)) (return)))
    (local.set $name_len (i32.load (i32.const 68)))
    ;; the answer, a JSON string, at 1024: '"' NAME ': ' TEXT '"'
    (i32.store8 (i32.const 1024) (i32.const 34))
    (drop (call $dir_name (i32.const 3) (i32.const 1025) (local.get $name_len)))
    (local.set $at (i32.add (i32.const 1025) (local.get $name_len)))
    (i32.store16 (local.get $at) (i32.const 0x203a))
    (local.set $at (i32.add (local.get $at) (i32.const 2)))
    ;; open x under fd 3 (read rights), the new fd at 80
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0)
          (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 80))
      (then (call $error (i32.const 16) (i32.const 36)) (return)))
    ;; one read of up to 64 bytes: iovec at 96, count read at 104
    (i32.store (i32.const 96) (local.get $at))
    (i32.store (i32.const 100) (i32.const 64))
    (drop (call $fd_read (i32.load (i32.const 80)) (i32.const 96) (i32.const 1) (i32.const 104)))
    (local.set $at (i32.add (local.get $at) (i32.load (i32.const 104))))
    ;; drop the file's final newline, close the string
    (if (i32.eq (i32.load8_u (i32.sub (local.get $at) (i32.const 1))) (i32.const 10))
      (then (local.set $at (i32.sub (local.get $at) (i32.const 1)))))
    (i32.store8 (local.get $at) (i32.const 34))
    (call $output (i32.const 1024) (i32.sub (i32.add (local.get $at) (i32.const 1)) (i32.const 1024)))))
