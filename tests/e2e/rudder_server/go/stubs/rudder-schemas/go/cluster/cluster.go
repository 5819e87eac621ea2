// Package cluster is a local stand-in for github.com/rudderlabs/rudder-schemas/go/cluster
// (refused by the module proxy here): etcd partition-migration messages, used only in
// rudder-server's clustered (etcd) deployment mode, which the e2e harness does not use.
package cluster

import "slices"

type PartitionMigrationStatus string

const (
	PartitionMigrationStatusNew       PartitionMigrationStatus = "new"
	PartitionMigrationStatusMigrating PartitionMigrationStatus = "migrating"
)

type PartitionMigrationJobStatus string

const (
	PartitionMigrationJobStatusNew       PartitionMigrationJobStatus = "new"
	PartitionMigrationJobStatusMoved     PartitionMigrationJobStatus = "moved"
	PartitionMigrationJobStatusCompleted PartitionMigrationJobStatus = "completed"
)

type PartitionMigrationFeatures struct {
	JobsDBFanout bool `json:"jobsDBFanout,omitempty"`
}

type PartitionMigrationJobHeader struct {
	JobID       string   `json:"jobId"`
	MigrationID string   `json:"migrationId"`
	SourceNode  int      `json:"sourceNode"`
	TargetNode  int      `json:"targetNode"`
	Partitions  []string `json:"partitions"`
	JobsDB      string   `json:"jobsDb,omitempty"`
}

type PartitionMigrationJob struct {
	PartitionMigrationJobHeader
	Status PartitionMigrationJobStatus `json:"status"`
}

type PartitionMigration struct {
	ID           string                         `json:"id"`
	Status       PartitionMigrationStatus       `json:"status"`
	Jobs         []*PartitionMigrationJobHeader `json:"jobs"`
	AckKeyPrefix string                         `json:"ackKeyPrefix"`
	Features     PartitionMigrationFeatures     `json:"features"`
}

type PartitionMigrationAck struct {
	NodeIndex int      `json:"nodeIndex"`
	NodeName  string   `json:"nodeName"`
	JobsDBs   []string `json:"jobsDbs,omitempty"`
}

func (pm *PartitionMigration) SourceNodes() []int {
	var nodes []int
	for _, j := range pm.Jobs {
		if !slices.Contains(nodes, j.SourceNode) {
			nodes = append(nodes, j.SourceNode)
		}
	}
	return nodes
}

func (pm *PartitionMigration) TargetNodes() []int {
	var nodes []int
	for _, j := range pm.Jobs {
		if !slices.Contains(nodes, j.TargetNode) {
			nodes = append(nodes, j.TargetNode)
		}
	}
	return nodes
}

func (pm *PartitionMigration) AckKey(nodeName string) string { return pm.AckKeyPrefix + nodeName }

func (pm *PartitionMigration) Ack(nodeIndex int, nodeName string) *PartitionMigrationAck {
	return &PartitionMigrationAck{NodeIndex: nodeIndex, NodeName: nodeName}
}

func (pm *PartitionMigration) AckWithJobsDBs(nodeIndex int, nodeName string, jobsDBs []string) *PartitionMigrationAck {
	return &PartitionMigrationAck{NodeIndex: nodeIndex, NodeName: nodeName, JobsDBs: jobsDBs}
}

type ReloadGatewayAck struct {
	NodeIndex int    `json:"nodeIndex"`
	NodeName  string `json:"nodeName"`
}

type ReloadGatewayCommand struct {
	Nodes        []int  `json:"nodes"`
	AckKeyPrefix string `json:"ackKeyPrefix"`
}

func (c *ReloadGatewayCommand) AckKey(nodeName string) string { return c.AckKeyPrefix + nodeName }

func (c *ReloadGatewayCommand) Ack(nodeIndex int, nodeName string) *ReloadGatewayAck {
	return &ReloadGatewayAck{NodeIndex: nodeIndex, NodeName: nodeName}
}

type ReloadSrcRouterCommand struct {
	Nodes        []int  `json:"nodes"`
	AckKeyPrefix string `json:"ackKeyPrefix"`
}
