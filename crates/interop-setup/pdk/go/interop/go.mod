module example.invalid/interop

go 1.24
