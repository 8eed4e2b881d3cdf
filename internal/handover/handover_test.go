package handover

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// TestPeekedReadsBufferedFirst: a connection handed over yields the bytes
// its reader had buffered, then the rest of the stream, in order.
func TestPeekedReadsBufferedFirst(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		_, _ = io.WriteString(b, "GET / HTTP/1.1\r\n\r\nrest")
		b.Close()
	}()
	br := bufio.NewReaderSize(a, 32)
	head, err := PeekUntil(br, []byte("\r\n\r\n"))
	if err != nil || string(head) != "GET / HTTP/1.1\r\n\r\n" {
		t.Fatalf("head %q, %v", head, err)
	}
	got, err := io.ReadAll(Peeked(a, br))
	if err != nil || string(got) != "GET / HTTP/1.1\r\n\r\nrest" {
		t.Fatalf("read %q, %v", got, err)
	}
}

// TestPeekUntilTooLong: a head that does not fit in the buffer is refused
// with ErrHeadTooLong, not read partly.
func TestPeekUntilTooLong(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 64)+"\r\n\r\n"), 16)
	if _, err := PeekUntil(br, []byte("\r\n\r\n")); !errors.Is(err, ErrHeadTooLong) {
		t.Fatalf("err %v, want ErrHeadTooLong", err)
	}
	if br.Buffered() != 16 {
		t.Fatalf("%d bytes consumed or lost", 16-br.Buffered())
	}
}

// TestListenerGiveAndClose: a given connection is accepted; after Close,
// Accept fails and a connection given is closed rather than leaked.
func TestListenerGiveAndClose(t *testing.T) {
	l := NewListener(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	a, b := net.Pipe()
	go l.Give(a)
	if c, err := l.Accept(); err != nil || c != a {
		t.Fatalf("accepted %v, %v", c, err)
	}
	_ = l.Close()
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("accept after close: %v", err)
	}
	c, d := net.Pipe()
	defer d.Close()
	l.Give(c) // returns: the listener is closed
	if _, err := d.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the connection given after Close was not closed: %v", err)
	}
	a.Close()
	b.Close()
}
