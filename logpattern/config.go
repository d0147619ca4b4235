package logpattern

import (
	"fmt"
	"regexp"

	"github.com/seismo-dev/seismo/config/field"
)

// Defaults of Config. They are Seismo's own settings, chosen to work on any
// stream without per-stream tuning (see the package documentation).
const (
	DefaultDepth               = 4
	DefaultSimilarityThreshold = 0.5
	DefaultMaxChildren         = 100
	DefaultMaxClusters         = 5000
	DefaultMaxClustersPerLeaf  = 200
	DefaultMaxLineBytes        = 64 << 10
	DefaultMaxTokens           = 256
	DefaultMaxTokenBytes       = 128
)

// Config configures a Miner. The zero value plus ApplyDefaults is a
// working configuration.
type Config struct {
	// Depth is the depth of the prefix tree including the root and the
	// leaf: the tree routes a message by its token count and then by its
	// first Depth-2 tokens. At least 3.
	Depth int `yaml:"depth,omitempty"`
	// SimilarityThreshold is the share of equal token positions (0..1]
	// a message needs to join an existing template of its leaf.
	SimilarityThreshold float64 `yaml:"similarity_threshold,omitempty"`
	// MaxChildren caps the children of an inner tree node; tokens past the
	// cap are routed to the node's wildcard child.
	MaxChildren int `yaml:"max_children,omitempty"`
	// MaxClusters caps the templates kept; the least recently used one is
	// evicted to make room.
	MaxClusters int `yaml:"max_clusters,omitempty"`
	// MaxClustersPerLeaf guards against template explosion: a leaf that
	// holds this many templates merges a new message into its most similar
	// template (generalising it) instead of creating one more.
	MaxClustersPerLeaf int `yaml:"max_clusters_per_leaf,omitempty"`
	// MaxLineBytes truncates longer messages (counted in Stats).
	MaxLineBytes int `yaml:"max_line_bytes,omitempty"`
	// MaxTokens caps the tokens of a message; the rest of the message is
	// joined into the last token.
	MaxTokens int `yaml:"max_tokens,omitempty"`
	// MaxTokenBytes: a longer token (a blob without spaces) is one variable.
	MaxTokenBytes int `yaml:"max_token_bytes,omitempty"`
	// MaskKeyValues masks every value of a key=value pair, not only the
	// values that look variable (numbers, addresses, ...).
	MaskKeyValues bool `yaml:"mask_key_values,omitempty"`
	// NoParams skips parameter extraction: Match.Params stays nil and Add
	// does not allocate. For pipelines that only count templates.
	NoParams bool `yaml:"no_params,omitempty"`
	// Masks are user masks, applied in order before the built-in masks.
	Masks []MaskConfig `yaml:"masks,omitempty"`
}

// MaskConfig is a user mask: every match of Regex is replaced by Replace.
// A Replace of "<*>" (the default) makes the match a template variable;
// any other text is kept literally in templates and parameters, which is
// the way to hide data the built-in masks do not know.
type MaskConfig struct {
	Name    string `yaml:"name" json:"name"`
	Regex   string `yaml:"regex" json:"regex"`
	Replace string `yaml:"replace,omitempty" json:"replace,omitempty"`
}

// ApplyDefaults fills the zero fields with the defaults.
func (c *Config) ApplyDefaults() {
	if c.Depth == 0 {
		c.Depth = DefaultDepth
	}
	if c.SimilarityThreshold == 0 {
		c.SimilarityThreshold = DefaultSimilarityThreshold
	}
	if c.MaxChildren == 0 {
		c.MaxChildren = DefaultMaxChildren
	}
	if c.MaxClusters == 0 {
		c.MaxClusters = DefaultMaxClusters
	}
	if c.MaxClustersPerLeaf == 0 {
		c.MaxClustersPerLeaf = DefaultMaxClustersPerLeaf
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = DefaultMaxTokenBytes
	}
	for i := range c.Masks {
		if c.Masks[i].Replace == "" {
			c.Masks[i].Replace = wildcard
		}
	}
}

// Validate reports every invalid field, with its path.
func (c Config) Validate() error {
	var errs field.List
	add := errs.Addf
	if c.Depth < 3 || c.Depth > 16 {
		add("depth", "must be between 3 and 16, got %d", c.Depth)
	}
	if !(c.SimilarityThreshold > 0 && c.SimilarityThreshold <= 1) {
		add("similarity_threshold", "must be in (0, 1], got %v", c.SimilarityThreshold)
	}
	if c.MaxChildren < 1 {
		add("max_children", "must be at least 1, got %d", c.MaxChildren)
	}
	if c.MaxClusters < 1 {
		add("max_clusters", "must be at least 1, got %d", c.MaxClusters)
	}
	if c.MaxClustersPerLeaf < 1 {
		add("max_clusters_per_leaf", "must be at least 1, got %d", c.MaxClustersPerLeaf)
	}
	if c.MaxLineBytes < 16 {
		add("max_line_bytes", "must be at least 16, got %d", c.MaxLineBytes)
	}
	if c.MaxTokens < 1 || c.MaxTokens > 4096 {
		add("max_tokens", "must be between 1 and 4096, got %d", c.MaxTokens)
	}
	if c.MaxTokenBytes < 8 {
		add("max_token_bytes", "must be at least 8, got %d", c.MaxTokenBytes)
	}
	for i, mk := range c.Masks {
		p := fmt.Sprintf("masks[%d]", i)
		if mk.Name == "" {
			add(p+".name", "must not be empty")
		}
		if mk.Regex == "" {
			add(p+".regex", "must not be empty")
		} else if _, err := regexp.Compile(mk.Regex); err != nil {
			add(p+".regex", "%v", err)
		}
	}
	return errs.Err()
}
