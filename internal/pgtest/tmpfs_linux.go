package pgtest

import "syscall"

// tmpfsFree returns the space available in dir if it is a tmpfs.
func tmpfsFree(dir string) (free uint64, ok bool) {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != tmpfsMagic {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
