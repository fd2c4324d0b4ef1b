;; {{name}}: an interop plugin in WebAssembly text, no toolchain needed.
;;
;; The handler `greet` takes no arguments (docs/abi.md in the interop repository): it
;; reads the call's input with ft_input + ft_return_buffer_read and answers with
;; ft_output. This one answers a fixed JSON string; write real plugins in Rust, Go, C or
;; AssemblyScript with the guest helpers (docs/guests.md).
(module
  (import "env" "ft_log" (func $log (param i32 i32 i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from wasm")
  (data (i32.const 32) "\22Hello from {{name}}!\22")
  (func (export "greet")
    (call $log (i32.const 2) (i32.const 0) (i32.const 15))
    (call $output (i32.const 32) (i32.const {{wat_len}}))))
