;; The smallest WAT example: `interop wasm-call examples/plugins/wat-add/add.wat add 2 3` -> 5
(module
  (func $add (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)
  (export "add" (func $add)))
