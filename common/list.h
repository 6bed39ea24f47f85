/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Intrusive doubly-linked lists: an object embeds LIST_FIELDS(Type, name) for
 * every list it can be on, so adding and removing never allocates and removal
 * is O(1).  A list is a head pointer plus (for appends) a tail pointer.
 */

#include <stddef.h>

#define LIST_FIELDS(t, name) t *name##_next, *name##_prev

#define LIST_HEAD(t, name) \
        struct {           \
                t *head;   \
                t *tail;   \
        } name

#define LIST_APPEND(name, list, item)                           \
        do {                                                    \
                __typeof__(item) _i = (item);                   \
                _i->name##_next = NULL;                         \
                _i->name##_prev = (list).tail;                  \
                if ((list).tail)                                \
                        (list).tail->name##_next = _i;          \
                else                                            \
                        (list).head = _i;                       \
                (list).tail = _i;                               \
        } while (0)

#define LIST_REMOVE(name, list, item)                                   \
        do {                                                            \
                __typeof__(item) _i = (item);                           \
                if (_i->name##_next)                                    \
                        _i->name##_next->name##_prev = _i->name##_prev; \
                else                                                    \
                        (list).tail = _i->name##_prev;                  \
                if (_i->name##_prev)                                    \
                        _i->name##_prev->name##_next = _i->name##_next; \
                else                                                    \
                        (list).head = _i->name##_next;                  \
                _i->name##_next = _i->name##_prev = NULL;               \
        } while (0)

#define LIST_FOREACH(name, i, list) for (__typeof__((list).head) i = (list).head; i; i = i->name##_next)
