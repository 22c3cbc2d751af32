//go:build !linux

package pgtest

// tmpfsFree reports no tmpfs: /dev/shm is a Linux convention.
func tmpfsFree(string) (uint64, bool) { return 0, false }
