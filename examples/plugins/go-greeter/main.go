// The greeter sample plugin, in Go on examples/pdk/go/interop: two actions, a provider
// and a hook, using log, env and fs. Its twins in Rust, AssemblyScript and C answer the
// same. Standard Go (not TinyGo):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o dist/greeter.wasm .
package main

import (
	"encoding/json"
	"strings"

	"example.invalid/interop"
)

// greet: "World" -> "Hello, World!", prefixed by $GREETER_PREFIX and a space when the
// variable is granted and set.
//
//go:wasmexport greet
func greet() {
	interop.Run(func(name string) (string, error) {
		interop.Info("greet " + name)
		greeting := "Hello, " + name + "!"
		if prefix, ok := interop.GetEnv("GREETER_PREFIX"); ok && prefix != "" {
			greeting = prefix + " " + greeting
		}
		return greeting, nil
	})
}

// farewell: "World" -> "Goodbye, World!".
//
//go:wasmexport farewell
func farewell() {
	interop.Run(func(name string) (string, error) {
		interop.Info("farewell " + name)
		return "Goodbye, " + name + "!", nil
	})
}

// greeting (provider): the text of data/greeting.txt, read through the host.
//
//go:wasmexport greeting
func greeting() {
	interop.Run(func(_ json.RawMessage) (string, error) {
		text, err := interop.ReadFile("data/greeting.txt")
		return strings.TrimRight(text, " \r\n"), err
	})
}

// on_reload (hook config.reload): logs a line.
//
//go:wasmexport on_reload
func onReload() {
	interop.Info("greeter: configuration reloaded")
}

func main() {}
