// A Node module for the bridge: `js.call('example.js', 'add', [2, 3])` -> 5.
module.exports = { add: (a, b) => a + b };
