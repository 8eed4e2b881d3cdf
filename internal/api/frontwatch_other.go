//go:build !linux

package api

import (
	"errors"
	"net"
)

// watcher detects disconnects on Linux only (frontwatch_linux.go);
// elsewhere a request's context is cancelled only when its connection
// ends.
type watcher struct{}

func newWatcher() (*watcher, error) { return nil, errors.ErrUnsupported }

func (w *watcher) close() {}

type connWatch struct{}

func (cw *connWatch) init(*watcher, net.Conn, func()) {}
func (cw *connWatch) arm()                            {}
func (cw *connWatch) disarm() bool                    { return false }
func (cw *connWatch) forget()                         {}
