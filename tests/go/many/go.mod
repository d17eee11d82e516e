module crashwatch.test/many

go 1.18
