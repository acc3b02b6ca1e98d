package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a child process whose output goes to a log file.
type Process struct {
	Name    string
	LogPath string

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error

	stopOnce sync.Once
}

// startProcess starts bin with args in its own process group, output appended to logPath. If firstLines is
// positive, that many lines of stdout are also returned (read before the rest is copied to the log); they
// are how githubsim announces its URL.
func startProcess(ctx context.Context, name, logPath string, env []string, firstLines int,
	bin string, args ...string) (*Process, []string, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	cmd.Stderr = logFile
	var stdout io.ReadCloser
	if firstLines > 0 {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			_ = logFile.Close()
			return nil, nil, err
		}
	} else {
		cmd.Stdout = logFile
	}
	fmt.Fprintf(logFile, "# %s %s\n", bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, log: logFile, done: make(chan struct{})}

	var lines []string
	if firstLines > 0 {
		type result struct {
			lines []string
			err   error
		}
		got := make(chan result, 1)
		br := bufio.NewReader(stdout)
		go func() {
			var r result
			for len(r.lines) < firstLines {
				line, err := br.ReadString('\n')
				if err != nil {
					r.err = fmt.Errorf("%s exited before printing %d line(s): %w", name, firstLines, err)
					break
				}
				_, _ = logFile.WriteString(line)
				r.lines = append(r.lines, strings.TrimRight(line, "\r\n"))
			}
			got <- r
			_, _ = io.Copy(logFile, br)
		}()
		select {
		case r := <-got:
			lines = r.lines
			err = r.err
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(30 * time.Second):
			err = fmt.Errorf("%s printed nothing for 30s", name)
		}
		if err != nil {
			go p.wait()
			p.Stop()
			return nil, nil, fmt.Errorf("%w; its log %s ends with:\n%s", err, logPath, Tail(logPath, 20))
		}
	}
	go p.wait()
	return p, lines, nil
}

func (p *Process) wait() {
	p.err = p.cmd.Wait()
	close(p.done)
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Pid is the process id (and process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM to the process group, then SIGKILL after 10 seconds.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// Anything the process left behind in its group.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = p.log.Close()
	})
}

// Tail returns the last n lines of a file.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// errExited is returned while waiting on a process that has ended.
var errExited = errors.New("exited")
