module example.com/crashy

go 1.18
