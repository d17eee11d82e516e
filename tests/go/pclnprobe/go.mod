module example.com/pclnprobe

go 1.18
