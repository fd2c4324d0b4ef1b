// The jsrun plugin manager's example plugin (plugins/greeter.js), unchanged: a global `plugin` object
// whose methods the host calls, using the host's `log` function and `config` object.
const plugin = {
  greet(name) {
    log(`Greeting ${name}`);
    return `Hello, ${name}! App version: ${config.version}`;
  },

  farewell(name) {
    return `Goodbye, ${name}!`;
  }
};
