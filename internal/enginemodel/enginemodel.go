// Package enginemodel gives this module's commands and tests the semantic
// model an engine serves, which package engine's API keeps from embedders
// (they read a model through Engine.Context, Table and Metric, in the
// engine's own types). Package engine registers the reader when it
// initialises.
package enginemodel

import "github.com/agentlayer/agentlayer/semantic"

var of func(e any) *semantic.Model

// Register sets how an engine's model is read; package engine calls it
// once, in its init.
func Register(f func(e any) *semantic.Model) { of = f }

// Of is the model e, an *engine.Engine, serves now.
func Of(e any) *semantic.Model { return of(e) }
