module crashwatch.test/crasher

go 1.18
