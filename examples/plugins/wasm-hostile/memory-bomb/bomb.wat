;; Hostile sample: grows its memory 1 MiB at a time until the host refuses, then traps.
;; The host reports `limit_exceeded` (limit `memory`).
(module
  (memory (export "memory") 1)
  (func (export "bomb")
    (loop $grow
      ;; memory.grow returns -1 once the resource limiter refuses.
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))
