package model

import (
	"fmt"
	"strings"
)

// A Kind names an operation of the model.
type Kind uint8

// The operations. Long-lived actions are split into a begin and an end so
// that the model can see who was inside whom.
const (
	_ Kind = iota

	// The RCU-protected pointer and its domain.
	Publish      // Publish(Version): Version becomes the current version
	ReadBegin    // ReadBegin(ID) -> Version: a read section begins and observes Version
	ReadEnd      // ReadEnd(ID): the read section ends
	SyncBegin    // SyncBegin(ID): Synchronize is called
	SyncEnd      // SyncEnd(ID): that Synchronize has returned
	Call         // Call(ID): a callback is queued
	Invoke       // Invoke(ID): the callback runs
	BarrierBegin // BarrierBegin(ID): Barrier is called
	BarrierEnd   // BarrierEnd(ID): that Barrier has returned
	Reclaim      // Reclaim(Version): Version is reclaimed (poisoned, reused, closed)
	Snapshot     // Snapshot(ID): a polled-grace-period cookie is taken
	Poll         // Poll(ID) -> OK: whether the cookie polls complete

	// The RCU-protected list, a set of unique keys.
	Insert        // Insert(Key): Key is added
	Remove        // Remove(Key) -> OK: Key is taken out; OK reports it was there
	Replace       // Replace(Key -> Key2) -> OK: Key2 takes Key's place; OK reports Key was there
	Lookup        // Lookup(Key) -> OK: whether a reader found Key
	TraverseBegin // TraverseBegin(ID): a reader starts a full traversal
	TraverseEnd   // TraverseEnd(ID) -> Keys: the traversal ends having seen Keys
	ElemReclaim   // ElemReclaim(Key): the removed element Key is reclaimed

	numKinds
)

var kindNames = [numKinds]string{
	Publish:       "publish",
	ReadBegin:     "read-begin",
	ReadEnd:       "read-end",
	SyncBegin:     "sync-begin",
	SyncEnd:       "sync-end",
	Call:          "call",
	Invoke:        "invoke",
	BarrierBegin:  "barrier-begin",
	BarrierEnd:    "barrier-end",
	Reclaim:       "reclaim",
	Snapshot:      "snapshot",
	Poll:          "poll",
	Insert:        "insert",
	Remove:        "remove",
	Replace:       "replace",
	Lookup:        "lookup",
	TraverseBegin: "traverse-begin",
	TraverseEnd:   "traverse-end",
	ElemReclaim:   "elem-reclaim",
}

// String returns the kind's stable name, such as "read-begin", as used in
// history files.
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the operations above.
func (k Kind) Valid() bool { return k > 0 && k < numKinds }

// ParseKind returns the kind whose String is name.
func ParseKind(name string) (Kind, bool) {
	for k := Publish; k < numKinds; k++ {
		if kindNames[k] == name {
			return k, true
		}
	}
	return 0, false
}

// Kinds returns every valid kind, in declaration order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := Publish; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// Opener returns the kind that opens what k closes: ReadBegin for
// ReadEnd, SyncBegin for SyncEnd, BarrierBegin for BarrierEnd,
// TraverseBegin for TraverseEnd; 0 for any other kind.
func (k Kind) Opener() Kind {
	switch k {
	case ReadEnd:
		return ReadBegin
	case SyncEnd:
		return SyncBegin
	case BarrierEnd:
		return BarrierBegin
	case TraverseEnd:
		return TraverseBegin
	}
	return 0
}

// IsList reports whether k is an operation on the list.
func (k Kind) IsList() bool { return k >= Insert && k < numKinds }

// An Op is one operation with what it observed. Which fields matter
// depends on Kind (see the constants); the others must be zero.
//
// IDs live in one namespace per kind pair (readers, syncs, callbacks,
// barriers, cookies, traversals) and are chosen by whoever records the
// history, as are versions and keys. Each version is published at most
// once and each key is inserted at most once. Version 0 is the value the
// pointer holds before the first Publish.
type Op struct {
	Kind    Kind
	ID      uint64   // reader, sync, callback, barrier, cookie or traversal
	Version uint64   // Publish, Reclaim; the version a ReadBegin observed
	Key     uint64   // Insert, Remove, Lookup, ElemReclaim; the old key of Replace
	Key2    uint64   // the new key of Replace
	Keys    []uint64 // the keys a TraverseEnd saw, in the order seen
	OK      bool     // the result of Poll, Remove, Replace and Lookup
	// Damaged reports that the reader saw a damaged object: at ReadBegin,
	// one that was not fully initialized; at ReadEnd, Lookup and
	// TraverseEnd, one that had been reclaimed (poisoned).
	Damaged bool
}

// Fields a kind uses, for Validate.
const (
	fID = 1 << iota
	fVersion
	fKey
	fKey2
	fKeys
	fOK
	fDamaged
)

var kindFields = [numKinds]uint8{
	Publish:       fVersion,
	ReadBegin:     fID | fVersion | fDamaged,
	ReadEnd:       fID | fDamaged,
	SyncBegin:     fID,
	SyncEnd:       fID,
	Call:          fID,
	Invoke:        fID,
	BarrierBegin:  fID,
	BarrierEnd:    fID,
	Reclaim:       fVersion,
	Snapshot:      fID,
	Poll:          fID | fOK,
	Insert:        fKey,
	Remove:        fKey | fOK,
	Replace:       fKey | fKey2 | fOK,
	Lookup:        fKey | fOK | fDamaged,
	TraverseBegin: fID,
	TraverseEnd:   fID | fKeys | fDamaged,
	ElemReclaim:   fKey,
}

// Validate reports an error if op's kind is unknown or a field its kind
// does not use is set. It does not judge legality; see State.Apply.
func (op Op) Validate() error {
	if !op.Kind.Valid() {
		return fmt.Errorf("unknown operation kind %d", uint8(op.Kind))
	}
	f := kindFields[op.Kind]
	var bad []string
	if f&fID == 0 && op.ID != 0 {
		bad = append(bad, "id")
	}
	if f&fVersion == 0 && op.Version != 0 {
		bad = append(bad, "version")
	}
	if f&fKey == 0 && op.Key != 0 {
		bad = append(bad, "key")
	}
	if f&fKey2 == 0 && op.Key2 != 0 {
		bad = append(bad, "key2")
	}
	if f&fKeys == 0 && len(op.Keys) != 0 {
		bad = append(bad, "keys")
	}
	if f&fOK == 0 && op.OK {
		bad = append(bad, "ok")
	}
	if f&fDamaged == 0 && op.Damaged {
		bad = append(bad, "damaged")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s does not use %s", op.Kind, strings.Join(bad, ", "))
	}
	if op.Kind == Publish && op.Version == 0 {
		return fmt.Errorf("publish of version 0, which is reserved for the initial value")
	}
	return nil
}

// Subject returns the value that identifies what op is about: the ID of
// readers, syncs, callbacks, barriers, cookies and traversals; the version
// of Publish and Reclaim; the key of the other list operations (the old
// key of Replace).
func (op Op) Subject() uint64 {
	switch op.Kind {
	case Publish, Reclaim:
		return op.Version
	case Insert, Remove, Replace, Lookup, ElemReclaim:
		return op.Key
	}
	return op.ID
}

// String describes op briefly, for example "read-begin r1 -> v3".
func (op Op) String() string {
	var b strings.Builder
	b.WriteString(op.Kind.String())
	switch op.Kind {
	case Publish, Reclaim:
		fmt.Fprintf(&b, " v%d", op.Version)
	case ReadBegin:
		fmt.Fprintf(&b, " r%d -> v%d", op.ID, op.Version)
	case ReadEnd:
		fmt.Fprintf(&b, " r%d", op.ID)
	case SyncBegin, SyncEnd:
		fmt.Fprintf(&b, " s%d", op.ID)
	case Call, Invoke:
		fmt.Fprintf(&b, " k%d", op.ID)
	case BarrierBegin, BarrierEnd:
		fmt.Fprintf(&b, " b%d", op.ID)
	case Snapshot:
		fmt.Fprintf(&b, " c%d", op.ID)
	case Poll:
		fmt.Fprintf(&b, " c%d -> %t", op.ID, op.OK)
	case Insert, ElemReclaim:
		fmt.Fprintf(&b, " %d", op.Key)
	case Remove, Lookup:
		fmt.Fprintf(&b, " %d -> %t", op.Key, op.OK)
	case Replace:
		fmt.Fprintf(&b, " %d->%d -> %t", op.Key, op.Key2, op.OK)
	case TraverseBegin:
		fmt.Fprintf(&b, " t%d", op.ID)
	case TraverseEnd:
		fmt.Fprintf(&b, " t%d -> %v", op.ID, op.Keys)
	default:
		if op.ID != 0 {
			fmt.Fprintf(&b, " %d", op.ID)
		}
	}
	if op.Damaged {
		b.WriteString(" (damaged)")
	}
	return b.String()
}

// A Ref names an operation by kind and subject (see Op.Subject), as in
// "the read-begin of reader 3" or "the publish of version 7".
type Ref struct {
	Kind    Kind
	Subject uint64
}

func (r Ref) String() string { return fmt.Sprintf("%s %d", r.Kind, r.Subject) }
