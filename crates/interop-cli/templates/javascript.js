// {{name}}: an interop plugin in JavaScript, run in its own V8 isolate.
//
// The global `plugin` object holds the handlers named in plugin.json; `host` gives the
// host API (host.log, host.env, host.fs.*, host.fetch, ...) under the manifest's policy.
var plugin = {
  greet: function (name) {
    host.log("info", "greet " + name);
    return "Hello, " + name + "!";
  },
};
