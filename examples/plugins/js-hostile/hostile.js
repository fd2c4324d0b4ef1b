// Plugins that misbehave, for the tests: each must be stopped and reported while the
// host and other plugins keep running.
const plugin = {
  // Never returns: stopped by the watchdog at the manifest's timeout.
  loop() {
    for (;;) {}
  },
  // Allocates without bound: stopped at the manifest's heap limit.
  heapBomb() {
    const hoard = [];
    for (;;) hoard.push(new Array(1024).fill(hoard.length));
  },
  // Asks for a URL the policy does not allow: the host refuses, JS sees a thrown Error.
  fetchDenied() {
    try {
      host.fetch({ url: "https://example.com/secrets", method: "GET" });
      return "fetched?!";
    } catch (e) {
      return `refused (${e.kind}): ${e.message}`;
    }
  },
  // The same, uncaught: the call fails with the host's `denied` error.
  fetchDeniedUncaught() {
    return host.fetch("https://example.com/secrets");
  },
  // Reads outside its granted directory.
  readSecret() {
    return host.fs.readFile("../js-greeter/plugin.json");
  },
  // Throws a plain JS error.
  fail() {
    throw new RangeError("out of range on purpose");
  },
  ok() {
    return "fine";
  }
};
