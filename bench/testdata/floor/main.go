// Command floor is a no-op HTTP server: it answers every request with a
// two-byte JSON body. Its loopback round trip is the floor no invocation can
// beat. It listens on the address given as its only argument.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	body := []byte("{}")
	log.Fatal(http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})))
}
