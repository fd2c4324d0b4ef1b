module example.invalid/go-seed003

go 1.24
