module example.invalid/go-raw-imports

go 1.24
