module github.com/rudderlabs/sqlconnect-go

go 1.24
