module crashwatch.test/sigstorm

go 1.18
