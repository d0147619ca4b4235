//go:build !unix

package source

import "os"

// fileID reports no identity: files are then known by their path only, so
// a rename rotation is seen as a new file under the old name.
func fileID(os.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
