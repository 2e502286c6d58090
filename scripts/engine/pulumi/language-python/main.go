// Command pulumi-language-python is a Python language host for the Pulumi CLI.
//
// The upstream host (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is
// not published on the Go module proxy this project can reach, so this is a small host of our own
// built on the same SDK packages: python/toolchain finds and validates the virtualenv (pip, poetry
// or uv), and programs run through pulumi-language-python-exec, the Python entry point that ships
// in the github.com/pulumi/pulumi/sdk/v3 module and that scripts/engine/build.sh installs next to
// this binary. It implements what `pulumi preview/up/destroy/refresh/install/about` need:
// Handshake, GetPluginInfo, GetRequiredPackages, Run, InstallDependencies, RuntimeOptionsPrompts,
// About, GetProgramDependencies and Cancel. Code generation, packing and plugin hosting
// (pulumi convert/new templates, Python component providers) are not implemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	execScript = "pulumi-language-python-exec"
	// The exec script exits with this code after it has shown the user an error.
	exitAfterUserMessage = 32
)

func main() {
	showVersion := flag.Bool("version", false, "print the plugin version and exit")
	tracingEndpoint := flag.String("tracing", "", "emit tracing to a Zipkin-compatible endpoint")
	executor := flag.String("use-executor", "", "path of the Python exec script (default: next to this binary)")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracingEndpoint)

	script := *executor
	if script == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("locating this executable: %w", err))
		}
		script = filepath.Join(filepath.Dir(self), execScript)
	}
	if _, err := os.Stat(script); err != nil {
		cmdutil.Exit(fmt.Errorf("missing Python exec script: %w", err))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelServe := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancelServe)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("starting the engine health check: %w", err))
		}
	}

	runCtx, cancelRuns := context.WithCancel(context.Background())
	host := &languageHost{exec: script, engine: engineAddress, tracing: *tracingEndpoint,
		runCtx: runCtx, cancelRuns: cancelRuns}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServe,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("starting the language host server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from our first line of output
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host server stopped: %w", err))
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec    string
	tracing string

	mu     sync.Mutex
	engine string

	runCtx     context.Context // cancelled by the Cancel RPC
	cancelRuns context.CancelFunc
}

func (h *languageHost) engineAddress() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engine
}

// options reads the `runtime.options` of Pulumi.yaml (virtualenv, toolchain, typechecker).
func options(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	if info == nil {
		return toolchain.PythonOptions{}, errors.New("the request has no program info")
	}
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	var raw map[string]any
	if info.Options != nil {
		raw = info.Options.AsMap()
	}
	str := func(key string) (string, error) {
		v, ok := raw[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("runtime option %q must be a string", key)
		}
		return s, nil
	}
	var err error
	if opts.Virtualenv, err = str("virtualenv"); err != nil {
		return opts, err
	}
	tc, err := str("toolchain")
	if err != nil {
		return opts, err
	}
	switch tc {
	case "":
	case "pip":
		opts.Toolchain = toolchain.Pip
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	case "uv":
		opts.Toolchain = toolchain.Uv
	default:
		return opts, fmt.Errorf("unsupported toolchain %q", tc)
	}
	checker, err := str("typechecker")
	if err != nil {
		return opts, err
	}
	switch checker {
	case "":
	case "mypy":
		opts.Typechecker = toolchain.TypeCheckerMypy
	case "pyright":
		opts.Typechecker = toolchain.TypeCheckerPyright
	default:
		return opts, fmt.Errorf("unsupported typechecker %q", checker)
	}
	if isPlugin && opts.Virtualenv == "" && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

func (h *languageHost) Handshake(_ context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.EngineAddress != "" {
		h.mu.Lock()
		h.engine = req.EngineAddress
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(context.Context,
	*pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelRuns()
	return &emptypb.Empty{}, nil
}

// pluginJSONPaths maps each distribution name given on the command line to the
// pulumi-plugin.json of its top-level package ("" when it has none).
const pluginJSONPaths = `
import importlib.metadata, json, os, sys
out = {}
for name in sys.argv[1:]:
    path = ""
    try:
        dist = importlib.metadata.distribution(name)
        for f in dist.files or []:
            parts = f.parts
            if len(parts) == 2 and parts[1] == "pulumi-plugin.json":
                path = str(dist.locate_file(f))
                break
    except Exception:
        pass
    out[name] = path if path and os.path.isfile(path) else ""
print(json.dumps(out))
`

// GetRequiredPackages lists the provider plugins that the Pulumi packages in the virtualenv
// ask for, from their pulumi-plugin.json files.
func (h *languageHost) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	opts, err := options(req.Info, false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.EnsureVenv(ctx, req.Info.ProgramDirectory, false, true, os.Stderr, os.Stderr); err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, true)
	if err != nil {
		return nil, err
	}
	args := []string{"-c", pluginJSONPaths}
	for _, p := range pkgs {
		args = append(args, p.Name)
	}
	paths := map[string]string{}
	if cmd, err := tc.Command(ctx, args...); err == nil {
		if out, err := cmd.Output(); err == nil {
			if err := json.Unmarshal(out, &paths); err != nil {
				return nil, fmt.Errorf("reading pulumi-plugin.json locations: %w", err)
			}
		} else {
			logging.V(5).Infof("listing pulumi-plugin.json files failed: %v", err)
		}
	}

	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range pkgs {
		var meta *plugin.PulumiPluginJSON
		if path := paths[p.Name]; path != "" {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			meta = &plugin.PulumiPluginJSON{}
			if err := json.Unmarshal(data, meta); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		if dep := packageDependency(p, meta); dep != nil {
			resp.Packages = append(resp.Packages, dep)
		}
	}
	return resp, nil
}

// Python distributions named pulumi-* that are not providers.
var notProviders = map[string]bool{"pulumi": true, "pulumi-policy": true}

func packageDependency(p plugin.DependencyInfo, meta *plugin.PulumiPluginJSON) *pulumirpc.PackageDependency {
	name := strings.ReplaceAll(strings.ToLower(p.Name), "_", "-") // pip may report pulumi_random
	if meta == nil && (!strings.HasPrefix(name, "pulumi-") || notProviders[name]) {
		return nil
	}
	dep := &pulumirpc.PackageDependency{Kind: "resource", Name: strings.TrimPrefix(name, "pulumi-")}
	if meta != nil {
		if !meta.Resource {
			return nil
		}
		if meta.Name != "" {
			dep.Name = meta.Name
		}
		dep.Version, dep.Server = meta.Version, meta.Server
		if pz := meta.Parameterization; pz != nil {
			dep.Parameterization = &pulumirpc.PackageParameterization{
				Name: pz.Name, Version: pz.Version, Value: pz.Value,
			}
		}
		if ext := meta.ExtensionParameterization; ext != nil {
			dep.Extension = &pulumirpc.PackageParameterization{
				Name: ext.Name, Version: ext.Version, Value: ext.Value,
			}
		}
	}
	if dep.Version == "" {
		v, ok := pluginVersion(p.Version)
		if !ok {
			logging.V(5).Infof("no plugin version for %s %s", p.Name, p.Version)
			return nil
		}
		dep.Version = v
	}
	if !strings.HasPrefix(dep.Version, "v") {
		dep.Version = "v" + dep.Version
	}
	return dep
}

var pep440 = regexp.MustCompile(`^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?$`)

// pluginVersion turns a PEP 440 package version (1.2, 1.2.3a4, 1.2.3.dev5) into a semver plugin
// version (1.2.0, 1.2.3-alpha.4, 1.2.3+dev5).
func pluginVersion(v string) (string, bool) {
	m := pep440.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	parts := strings.Split(m[1], ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	out := strings.Join(parts, ".")
	if m[2] != "" {
		out += "-" + map[string]string{"a": "alpha", "b": "beta", "rc": "rc"}[m[2]] + "." + m[3]
	}
	var build []string
	if m[4] != "" {
		build = append(build, "post"+m[4])
	}
	if m[5] != "" {
		build = append(build, "dev"+m[5])
	}
	if len(build) > 0 {
		out += "+" + strings.Join(build, "")
	}
	return out, true
}

// Run runs the program through the exec script, which connects back to the engine's resource
// monitor.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this Python language host does not support debugging"}, nil
	}
	opts, err := options(req.Info, false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	if err := h.typecheck(ctx, tc, opts); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := []string{h.exec}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress())
	flagArg("project", req.GetProject())
	flagArg("root_directory", req.Info.RootDirectory)
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.GetOrganization())
	args = append(args, req.Info.EntryPoint)
	args = append(args, req.GetArgs()...)

	config := "{}"
	if req.GetConfig() != nil {
		b, err := json.Marshal(req.GetConfig())
		if err != nil {
			return nil, err
		}
		config = string(b)
	}
	secretKeys := []string{}
	if req.GetConfigSecretKeys() != nil {
		secretKeys = req.GetConfigSecretKeys()
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	cmdCtx, cancel := context.WithCancel(h.runCtx)
	defer cancel()
	stopOnDone := context.AfterFunc(ctx, cancel)
	defer stopOnDone()
	cmd, err := tc.Command(cmdCtx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env, "PULUMI_CONFIG="+config, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitAfterUserMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// typecheck runs mypy or pyright over the program first when Pulumi.yaml asks for it.
func (h *languageHost) typecheck(ctx context.Context, tc toolchain.Toolchain, opts toolchain.PythonOptions) error {
	var module string
	switch opts.Typechecker {
	case toolchain.TypeCheckerMypy:
		module = "mypy"
	case toolchain.TypeCheckerPyright:
		module = "pyright"
	default:
		return nil
	}
	args := []string{"-m", module}
	if module == "mypy" {
		if venv, err := tc.VirtualEnvPath(ctx); err == nil && venv != "" {
			if rel, err := filepath.Rel(opts.ProgramDir, venv); err == nil {
				args = append(args, "--exclude", rel)
			}
		}
	}
	args = append(args, opts.ProgramDir)
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	cmd.Dir = opts.ProgramDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s failed: %w\n%s", module, err, out)
	}
	return nil
}

func (h *languageHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := options(req.Info, req.IsPlugin)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Installing dependencies...")
	if err := tc.InstallDependencies(server.Context(), req.Info.ProgramDirectory,
		req.UseLanguageVersionTools, true, stdout, stderr); err != nil {
		return fmt.Errorf("installing dependencies: %w", err)
	}
	fmt.Fprintln(stdout, "Finished installing dependencies")
	return nil
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts, err := options(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: about.PythonExecutable,
		Version:    about.PythonVersion.String(),
		Metadata:   map[string]string{"toolchain": toolchain.Name(opts.Toolchain)},
	}, nil
}

func (h *languageHost) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := options(req.Info, false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}
