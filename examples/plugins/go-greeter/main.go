// The greeter sample plugin, in Go on examples/pdk/go/interop: two actions, a provider
// and a hook, using log, env and fs. Its twins in Rust, AssemblyScript and C answer the
// same. Standard Go (not TinyGo):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o dist/greeter.wasm .
package main

import (
	"encoding/json"
	"errors"
	"strings"

	"example.invalid/interop"
)

// nameOf returns the name an action was given: its input, a JSON string.
func nameOf(action string, input json.RawMessage) (string, error) {
	var value any
	if json.Unmarshal(input, &value) == nil {
		if name, ok := value.(string); ok {
			return name, nil
		}
	}
	return "", errors.New(action + ": expected the name as a JSON string")
}

// greet: "World" -> "Hello, World!", prefixed by $GREETER_PREFIX and a space when the
// variable is granted and set.
//
//go:wasmexport greet
func greet() {
	interop.Run(func(input json.RawMessage) (string, error) {
		name, err := nameOf("greet", input)
		if err != nil {
			return "", err
		}
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
	interop.Run(func(input json.RawMessage) (string, error) {
		name, err := nameOf("farewell", input)
		if err != nil {
			return "", err
		}
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
