module example.invalid/go-greeter

go 1.24

require example.invalid/interop v0.0.0

replace example.invalid/interop => ../../pdk/go/interop
