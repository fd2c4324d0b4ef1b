// The greeter sample plugin, in JavaScript: the twin of rust-, go-, c- and
// assemblyscript-greeter, answering exactly as they do, through the global `host` object.

function nameOf(action, input) {
  if (typeof input !== "string") {
    // An Error with a `kind` reaches the host as that kind of error.
    throw Object.assign(new Error(`${action}: expected the name as a JSON string`), {
      kind: "invalid_input",
    });
  }
  return input;
}

// The value `read` returns, or null when the host has not granted it.
function granted(read) {
  try {
    return read();
  } catch (e) {
    if (e.kind === "denied") return null;
    throw e;
  }
}

const plugin = {
  // "World" -> "Hello, World!", prefixed by $GREETER_PREFIX and a space when granted and set.
  greet(input) {
    const name = nameOf("greet", input);
    host.log("info", `greet ${name}`);
    const greeting = `Hello, ${name}!`;
    const prefix = granted(() => host.env("GREETER_PREFIX"));
    return prefix ? `${prefix} ${greeting}` : greeting;
  },

  // "World" -> "Goodbye, World!"
  farewell(input) {
    const name = nameOf("farewell", input);
    host.log("info", `farewell ${name}`);
    return `Goodbye, ${name}!`;
  },

  // Provider `greeting`: the text of data/greeting.txt, read through the host. Providers
  // get `{ memory, state }` (unused here).
  greeting({ memory, state }) {
    return host.fs.readFile("data/greeting.txt").trimEnd();
  },

  // Hook `config.reload`: logs a line.
  on_reload() {
    host.log("info", "greeter: configuration reloaded");
    return null;
  },
};
