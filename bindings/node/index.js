// The native addon, built by `cargo xtask node-build` (bindings/node/interop_node.node).
// Everything is implemented in Rust; this file only loads it.
'use strict';
module.exports = require('./interop_node.node');
