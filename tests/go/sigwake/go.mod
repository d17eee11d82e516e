module crashwatch.test/sigwake

go 1.18
