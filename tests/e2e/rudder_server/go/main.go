// Command rudder-server: a thin entrypoint around github.com/rudderlabs/rudder-server/runner,
// used only by the end-to-end test harness.
package main

import (
	"os"
	"syscall"

	"github.com/rudderlabs/rudder-go-kit/config"
	kitctx "github.com/rudderlabs/rudder-go-kit/context"
	"github.com/rudderlabs/rudder-server/runner"
)

// Set with -ldflags "-X main.version=..." if wanted.
var version = "e2e-harness (rudder-server v1.83.0)"

func main() {
	ctx, stop := kitctx.NotifyContextWithCallback(func() {}, syscall.SIGINT, syscall.SIGTERM)
	r := runner.New(runner.ReleaseInfo{
		Version:         version,
		EnterpriseToken: config.GetStringVar("", "ENTERPRISE_TOKEN"),
	})
	code := r.Run(ctx, stop, os.Args)
	stop()
	os.Exit(code)
}
