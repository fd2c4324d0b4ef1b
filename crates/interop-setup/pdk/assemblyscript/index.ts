// The package entry point: `import { inputString, outputText } from "@interop/pdk-assemblyscript"`.
export * from "./interop";
