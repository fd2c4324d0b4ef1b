// The same as an ES module.
export const add = (a, b) => a + b;
export async function slowDouble(x) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return x * 2;
}
