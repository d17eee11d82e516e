module example.com/coreprobe

go 1.18
