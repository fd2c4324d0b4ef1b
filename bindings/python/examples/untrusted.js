// An untrusted script for the tutorial: it runs confined, under a timeout and a memory limit.
console.log([1, 2, 3].map((x) => x * x).join(" "));
