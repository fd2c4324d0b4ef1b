// {{name}}: an interop plugin in Go (standard Go >= 1.24, GOOS=wasip1), on the guest
// helper in ./interop.
//
// Each handler named in plugin.json is an export (//go:wasmexport) that runs a function
// through interop.Run: the input is decoded into its parameter, its result is the
// call's result and its error fails the call.
package main

import "example.invalid/interop"

//go:wasmexport greet
func greet() {
	interop.Run(func(name string) (string, error) {
		interop.Info("greet " + name)
		return "Hello, " + name + "!", nil
	})
}

func main() {}
