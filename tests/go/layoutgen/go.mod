module crashwatch/layoutgen

go 1.18
