// Package interop is the interop wasm guest ABI for Go (docs/abi.md, docs/guests.md):
// logging, granted environment variables, the call's input and result, and host calls
// (filesystem, HTTP fetch, time, trace, application functions). Standard library only.
//
// Guests are built with standard Go (>= 1.24, for //go:wasmexport), not TinyGo:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o dist/plugin.wasm .
//
// A handler is an exported function with no parameters and no results:
//
//	//go:wasmexport greet
//	func greet() {
//		interop.Run(func(name string) (string, error) { return "Hello, " + name + "!", nil })
//	}
package interop

import (
	"encoding/json"
	"fmt"
	"unsafe"
)

//go:wasmimport env ft_log
func ftLog(level int32, ptr unsafe.Pointer, length uint32)

//go:wasmimport env ft_get_env
func ftGetEnv(keyPtr unsafe.Pointer, keyLen uint32) int32

//go:wasmimport env ft_config_get
func ftConfigGet(keyPtr unsafe.Pointer, keyLen uint32) int32

//go:wasmimport env ft_return_buffer_read
func ftReturnBufferRead(outPtr unsafe.Pointer, outLen uint32) int32

//go:wasmimport env ft_return_buffer_len
func ftReturnBufferLen() int32

//go:wasmimport env ft_input
func ftInput() int32

//go:wasmimport env ft_output
func ftOutput(ptr unsafe.Pointer, length uint32)

//go:wasmimport env ft_error
func ftError(ptr unsafe.Pointer, length uint32)

//go:wasmimport env ft_host_call
func ftHostCall(namePtr unsafe.Pointer, nameLen uint32, argsPtr unsafe.Pointer, argsLen uint32) int32

//go:wasmimport env ft_now_ms
func ftNowMs() int64

//go:wasmimport env ft_sleep_ms
func ftSleepMs(ms int64) int32

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// takeReturnBuffer copies n bytes of the host's return buffer.
func takeReturnBuffer(n int32) []byte {
	if n <= 0 {
		return nil
	}
	buf := make([]byte, n)
	copied := ftReturnBufferRead(bytesPtr(buf), uint32(n))
	if copied < 0 {
		copied = 0
	}
	return buf[:copied]
}

// Level is a log level, numbered as the ABI numbers them.
type Level int32

// The log levels.
const (
	LevelTrace Level = 0
	LevelDebug Level = 1
	LevelInfo  Level = 2
	LevelWarn  Level = 3
	LevelError Level = 4
)

// Log logs msg at level.
func Log(level Level, msg string) { ftLog(int32(level), strPtr(msg), uint32(len(msg))) }

// Debug logs at debug level.
func Debug(msg string) { Log(LevelDebug, msg) }

// Info logs at info level.
func Info(msg string) { Log(LevelInfo, msg) }

// Warn logs at warn level.
func Warn(msg string) { Log(LevelWarn, msg) }

// LogError logs at error level (the call goes on: to fail it, use Fail).
func LogError(msg string) { Log(LevelError, msg) }

// GetEnv returns the environment variable name, if permissions.env grants it and it is
// set.
func GetEnv(name string) (string, bool) {
	n := ftGetEnv(strPtr(name), uint32(len(name)))
	if n < 0 {
		return "", false
	}
	return string(takeReturnBuffer(n)), true
}

// Config returns the JSON of the plugin's config value key (the manifest's config with
// the host's overrides), if the config has that key.
func Config(key string) ([]byte, bool) {
	n := ftConfigGet(strPtr(key), uint32(len(key)))
	if n < 0 {
		return nil, false
	}
	return takeReturnBuffer(n), true
}

// Input returns the call's input as JSON: the action's input, {"memory", "state"} for
// a provider, the event's payload for a hook.
func Input() []byte { return takeReturnBuffer(ftInput()) }

// InputJSON decodes the call's input into v.
func InputJSON(v any) error {
	in := Input()
	if len(in) == 0 {
		in = []byte("null")
	}
	if err := json.Unmarshal(in, v); err != nil {
		return &HostError{Kind: "invalid_input", Message: fmt.Sprintf("input %s: %v", shorten(string(in)), err)}
	}
	return nil
}

// InputString returns the call's input when it is a JSON string such as "World".
func InputString() (string, error) {
	var s string
	err := InputJSON(&s)
	return s, err
}

func shorten(s string) string {
	if len(s) <= 120 {
		return s
	}
	return s[:120] + "..."
}

// OutputJSON sets the call's result from JSON: a string is the result's text, an object
// with "success" a full result, anything else its data.
func OutputJSON(j []byte) { ftOutput(bytesPtr(j), uint32(len(j))) }

// Output sets the call's result to v, encoded as JSON.
func Output(v any) {
	j, err := json.Marshal(v)
	if err != nil {
		Fail("cannot encode the result: " + err.Error())
		return
	}
	OutputJSON(j)
}

// OutputText sets the call's result to the text s.
func OutputText(s string) { Output(s) }

// Fail fails the call with msg (the caller gets an "exec" error).
func Fail(msg string) { ftError(strPtr(msg), uint32(len(msg))) }

// Run runs one handler call: decodes the input into I, calls f, and outputs its result
// or fails with its error.
func Run[I any, O any](f func(I) (O, error)) {
	var in I
	if err := InputJSON(&in); err != nil {
		Fail(err.Error())
		return
	}
	out, err := f(in)
	if err != nil {
		Fail(err.Error())
		return
	}
	Output(out)
}

// HostError is an error from the host, with the fields of interop's PluginError.
type HostError struct {
	Kind    string          `json:"kind"`
	Message string          `json:"message"`
	Plugin  string          `json:"plugin,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *HostError) Error() string { return e.Kind + ": " + e.Message }

// HostCall calls the host function name (fs.readFile, net.fetch, time.now, trace, or an
// application function; see docs/host-api.md) with args encoded as JSON, and returns
// the result's JSON.
func HostCall(name string, args any) (json.RawMessage, error) {
	a, err := json.Marshal(args)
	if err != nil {
		return nil, &HostError{Kind: "invalid_input", Message: name + ": cannot encode arguments: " + err.Error()}
	}
	code := ftHostCall(strPtr(name), uint32(len(name)), bytesPtr(a), uint32(len(a)))
	if code < 0 {
		raw := takeReturnBuffer(ftReturnBufferLen())
		he := &HostError{}
		if json.Unmarshal(raw, he) != nil || he.Kind == "" {
			return nil, &HostError{Kind: "internal", Message: "the host returned an unreadable error: " + string(raw)}
		}
		return nil, he
	}
	res := takeReturnBuffer(code)
	if len(res) == 0 {
		return json.RawMessage("null"), nil
	}
	return json.RawMessage(res), nil
}

// ReadFile reads the UTF-8 text file at path (relative to the plugin directory, under a
// root granted by permissions.fs).
func ReadFile(path string) (string, error) {
	res, err := HostCall("fs.readFile", map[string]string{"path": path})
	if err != nil {
		return "", err
	}
	var text string
	if err := json.Unmarshal(res, &text); err != nil {
		return "", &HostError{Kind: "internal", Message: "fs.readFile: unexpected result: " + string(res)}
	}
	return text, nil
}

// WriteFile writes content to the file at path.
func WriteFile(path, content string) error {
	_, err := HostCall("fs.writeFile", map[string]string{"path": path, "content": content})
	return err
}

// Request is an HTTP request for Fetch.
type Request struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Response is an HTTP response (the body is "base64:..." when it is not UTF-8).
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// Fetch performs req through the host (only URLs permissions.network allows).
func Fetch(req Request) (Response, error) {
	var resp Response
	res, err := HostCall("net.fetch", req)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(res, &resp); err != nil {
		return resp, &HostError{Kind: "internal", Message: "net.fetch: unexpected result: " + err.Error()}
	}
	return resp, nil
}

// NowMs returns milliseconds since the Unix epoch.
func NowMs() int64 { return ftNowMs() }

// Sleep sleeps ms milliseconds, or fails (without sleeping) if that is longer than the
// call's time limit.
func Sleep(ms int64) error {
	if ftSleepMs(ms) < 0 {
		return &HostError{Kind: "limit_exceeded", Message: fmt.Sprintf("sleep of %d ms is longer than the call's time limit", ms)}
	}
	return nil
}
