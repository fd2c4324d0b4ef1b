// A guest written as the Go example of the "Writing WASM Extensions" guide is written, for standard Go instead of
// TinyGo (which is in no registry we can reach). One change, which standard Go
// requires: the export is declared with `//go:wasmexport on_reload` (Go >= 1.24) where
// the guide, for TinyGo, writes `//export on_reload` (standard Go ignores `//export`
// outside cgo). The build command changes accordingly:
//
//	tinygo build -o main.wasm -target=wasip1 .                         (the guide)
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o main.wasm .  (here)
package main

//go:wasmimport env ft_log
func ftLog(level int32, msgPtr *byte, msgLen uint32)

func logInfo(msg string) {
	if len(msg) > 0 {
		ftLog(2, &[]byte(msg)[0], uint32(len(msg)))
	}
}

//go:wasmexport on_reload
func onReload() {
	logInfo("Hello from Go!")
}

func main() {}
