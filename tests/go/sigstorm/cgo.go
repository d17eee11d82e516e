//go:build cgo
// +build cgo

package main

/*
#include <pthread.h>
#include <unistd.h>

// A thread the Go runtime did not create: sleeps in the kernel forever.
static void *sigstorm_c_thread(void *arg)
{
	(void)arg;
	for (;;)
		usleep(300);
	return 0;
}

static void sigstorm_start_c_thread(void)
{
	pthread_t t;
	pthread_create(&t, 0, sigstorm_c_thread, 0);
	pthread_detach(t);
}

// A goroutine's m in C code: short sleeps, so calls start and end often.
static void sigstorm_c_sleep(void)
{
	usleep(100);
}

// ... and one spinning in C.
static void sigstorm_c_spin(void)
{
	volatile unsigned long x = 0;
	for (int i = 0; i < 100000; i++)
		x += i;
}
*/
import "C"

func init() {
	workers["cthread"] = func() { C.sigstorm_start_c_thread() }
	workers["csleep"] = func() {
		for i := 0; i < 2; i++ {
			go func() {
				for {
					C.sigstorm_c_sleep()
				}
			}()
		}
	}
	workers["cspin"] = func() {
		go func() {
			for {
				C.sigstorm_c_spin()
			}
		}()
	}
}
