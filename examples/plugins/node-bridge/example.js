// Seed 000's Node module: `js.call('example.js', 'add', [2, 3])` -> 5.
module.exports = { add: (a, b) => a + b };
