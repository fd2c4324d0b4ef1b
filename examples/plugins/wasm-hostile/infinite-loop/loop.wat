;; Hostile sample: an action that never returns. The host stops it at the time limit
;; (epoch interruption) and reports `limit_exceeded` (limit `time`).
(module
  (memory (export "memory") 1)
  (func (export "spin")
    (loop $forever
      (br $forever))))
