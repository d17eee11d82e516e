module crashwatch.test/typenames

go 1.18
