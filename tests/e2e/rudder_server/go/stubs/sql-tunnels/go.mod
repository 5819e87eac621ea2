module github.com/rudderlabs/sql-tunnels

go 1.24
