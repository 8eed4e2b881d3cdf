// Command testprog is the bootstrap the sandbox tests run: one small static
// program whose first argument picks a behaviour.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	arg := func(i int) string {
		if len(os.Args) > i {
			return os.Args[i]
		}
		return ""
	}
	switch os.Args[1] {
	case "exit":
		n, _ := strconv.Atoi(arg(2))
		fmt.Println("exiting", n)
		os.Exit(n)
	case "hello":
		// Reach the Runtime API the way a bootstrap does, then leave.
		c, err := net.Dial("tcp", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		c.Close()
	case "sleep":
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "counter":
		// Print an increasing counter; a frozen process prints nothing.
		for i := 0; ; i++ {
			fmt.Println(i)
			time.Sleep(2 * time.Millisecond)
		}
	case "tree":
		// A child and a grandchild that ignore SIGTERM, to check that the
		// whole tree dies.
		signalIgnore()
		cmd := exec.Command(os.Args[0], "tree-child")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("spawn:", err)
		}
		time.Sleep(time.Hour)
	case "tree-child":
		signalIgnore()
		fmt.Printf("child %d\n", os.Getpid())
		time.Sleep(time.Hour)
	case "task":
		task()
	case "probe":
		probe()
	case "mem":
		mb, _ := strconv.Atoi(arg(2))
		var keep [][]byte
		for i := 0; i < mb; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep))
	case "forkbomb":
		n := 0
		var err error
		for i := 0; i < 2000; i++ {
			cmd := exec.Command(os.Args[0], "sleep")
			if err = cmd.Start(); err != nil {
				break
			}
			n++
		}
		fmt.Printf("spawned %d err=%v\n", n, err)
	case "leave":
		leave(arg(2))
	case "look":
		look()
	case "usenet":
		// One datagram to the host's side of the link.
		hosts, _ := os.ReadFile("/etc/hosts")
		for _, l := range strings.Split(string(hosts), "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[1] == "host.hearth.internal" {
				c, err := net.Dial("udp", f[0]+":9")
				if err == nil {
					_, err = c.Write([]byte("x"))
					c.Close()
				}
				fmt.Println("sent", err)
			}
		}
	case "filltmp":
		f, err := os.Create("/tmp/fill")
		if err != nil {
			fmt.Println("create:", err)
			os.Exit(1)
		}
		buf := make([]byte, 1<<20)
		total := 0
		for {
			n, err := f.Write(buf)
			total += n
			if err != nil {
				fmt.Printf("wrote %d MB err=%v\n", total>>20, err)
				break
			}
		}
	}
}

func signalIgnore() { signal.Ignore(syscall.SIGTERM) }

// probe prints facts about the environment as key=value lines.
func probe() {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, e.Name())
		}
	}
	fmt.Printf("pid=%d\n", os.Getpid())
	fmt.Printf("pids=%s\n", strings.Join(pids, ","))
	fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	err := os.WriteFile("/var/task/written", []byte("x"), 0o644)
	fmt.Printf("writetask=%v\n", err == nil)
	for _, p := range strings.Split(os.Getenv("PROBE_PATHS"), ":") {
		if p == "" {
			continue
		}
		_, err := os.Stat(p)
		fmt.Printf("exists %s=%v\n", p, err == nil)
	}
	var rl syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	fmt.Printf("nofile=%d\n", rl.Cur)
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "CapEff:") || strings.HasPrefix(l, "NoNewPrivs:") {
			fmt.Println(strings.Join(strings.Fields(l), ""))
		}
	}
	h, _ := os.Hostname()
	fmt.Printf("hostname=%s\n", h)
	_, err = os.Stat("/usr/bin/python3")
	fmt.Printf("python=%v\n", err == nil)
}

// leave fills a file in /tmp with marker, keeps a Runtime API connection
// open and waits to be killed: what a recycled disk and namespace must
// not pass on.
func leave(marker string) {
	f, err := os.Create("/tmp/secret")
	if err == nil {
		_, err = f.Write([]byte(strings.Repeat(marker, (1<<20)/len(marker))))
		if err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	c, derr := net.Dial("tcp", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
	fmt.Println("ready", err, derr)
	time.Sleep(time.Minute)
	c.Close()
}

// look prints what an environment can see of earlier ones: its network
// namespace, the entries of /tmp and its device, and the TCP table.
func look() {
	ns, _ := os.Readlink("/proc/self/ns/net")
	fmt.Printf("netns=%s\n", ns)
	ents, _ := os.ReadDir("/tmp")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Printf("tmp=%s\n", strings.Join(names, ","))
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(l); len(f) > 9 && f[4] == "/tmp" {
			fmt.Printf("tmpdev=%s\n", f[len(f)-2])
		}
	}
	for _, t := range []string{"tcp", "tcp6"} {
		b, _ := os.ReadFile("/proc/net/" + t)
		for _, l := range strings.Split(string(b), "\n")[1:] {
			if l = strings.TrimSpace(l); l != "" {
				fmt.Printf("socket=%s\n", strings.Join(strings.Fields(l), " "))
			}
		}
	}
}

// task prints, first thing, the cgroups it runs in, then what it sees of
// its code and of the mounts around it: the entries of /var/task, the
// marker file's content, the options of the /var/task mount, whether
// /var/runtime exists, and every mount point.
func task() {
	cg, _ := os.ReadFile("/proc/self/cgroup")
	for _, l := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		fmt.Printf("cgroup=%s\n", l)
	}
	ents, err := os.ReadDir("/var/task")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Printf("task=%s err=%v\n", strings.Join(names, ","), err)
	marker, _ := os.ReadFile("/var/task/marker")
	fmt.Printf("marker=%s\n", marker)
	_, err = os.Stat("/var/runtime")
	fmt.Printf("runtime=%v\n", err == nil)
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		fmt.Printf("mount=%s\n", f[4])
		if f[4] == "/var/task" {
			fmt.Printf("taskopts=%s\n", f[5])
		}
	}
	fmt.Println("done")
	if arg := os.Args[len(os.Args)-1]; arg == "stay" {
		time.Sleep(time.Minute)
	}
}
