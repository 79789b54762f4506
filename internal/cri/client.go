// Package cri is skiff's client of a Container Runtime Interface (CRI v1)
// endpoint: the runtime and image services over one gRPC connection to a
// unix socket.
package cri

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// maxMsgSize is the largest CRI message accepted; ListContainers on a
// busy node can exceed gRPC's 4 MiB default.
const maxMsgSize = 16 << 20

// Client is a connection to a CRI endpoint. Its embedded service clients
// are safe for concurrent use.
type Client struct {
	runtimeapi.RuntimeServiceClient
	runtimeapi.ImageServiceClient
	conn *grpc.ClientConn
}

// Dial connects to the CRI endpoint at the unix socket path and checks it
// answers Version within ctx.
func Dial(ctx context.Context, socket string) (*Client, error) {
	conn, err := grpc.NewClient("unix://"+socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize), grpc.MaxCallSendMsgSize(maxMsgSize)))
	if err != nil {
		return nil, fmt.Errorf("cri %s: %w", socket, err)
	}
	c := &Client{RuntimeServiceClient: runtimeapi.NewRuntimeServiceClient(conn), ImageServiceClient: runtimeapi.NewImageServiceClient(conn), conn: conn}
	if _, err := c.Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("cri %s: version: %w", socket, err)
	}
	return c, nil
}

// NewClient is a Client over in-process services, such as the fake
// runtime of hollow nodes; Close does nothing.
func NewClient(rt runtimeapi.RuntimeServiceClient, img runtimeapi.ImageServiceClient) *Client {
	return &Client{RuntimeServiceClient: rt, ImageServiceClient: img}
}

// Close closes the connection, if there is one.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// EnsureImage makes image present: it asks ImageStatus first, since a
// pull contacts the registry even when the image is there, and pulls
// only when it is missing. It returns the image's ID.
func (c *Client) EnsureImage(ctx context.Context, image string) (string, error) {
	spec := &runtimeapi.ImageSpec{Image: image}
	st, err := c.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec})
	if err != nil {
		return "", fmt.Errorf("image status %s: %w", image, err)
	}
	if st.Image != nil {
		return st.Image.Id, nil
	}
	resp, err := c.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec})
	if err != nil {
		return "", fmt.Errorf("pull %s: %w", image, err)
	}
	return resp.ImageRef, nil
}

// ImagePresent reports whether image is in the runtime's store.
func (c *Client) ImagePresent(ctx context.Context, image string) (bool, error) {
	st, err := c.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: image}})
	if err != nil {
		return false, fmt.Errorf("image status %s: %w", image, err)
	}
	return st.Image != nil, nil
}

// WaitReady polls Status until the runtime and the network report ready
// or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	var last string
	for {
		st, err := c.Status(ctx, &runtimeapi.StatusRequest{})
		if err == nil {
			last = ""
			for _, cond := range st.GetStatus().GetConditions() {
				if !cond.Status {
					last += fmt.Sprintf("%s=false (%s: %s) ", cond.Type, cond.Reason, cond.Message)
				}
			}
			if last == "" {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cri not ready: %s: %w", last, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
